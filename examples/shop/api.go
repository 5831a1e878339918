package main

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// The shop's gRPC services, written by hand instead of generated: every
// message is a google.protobuf.Struct, so no .proto file or code generator
// is needed. The wire format and the interceptors (grpctrace) are the same as
// for generated code.
//
//	shop.Goods/Get     {id}              -> {id, name, price_cents, stock, cache}
//	shop.Goods/Search  {q}               -> {source, hits: [{id, name, price_cents}]}
//	shop.Order/Create  {goods_id, qty}   -> {order_id, state}

type goodsService interface {
	Get(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error)
	Search(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error)
}

type orderService interface {
	Create(ctx context.Context, in *structpb.Struct) (*structpb.Struct, error)
}

var goodsDesc = grpc.ServiceDesc{
	ServiceName: "shop.Goods",
	HandlerType: (*goodsService)(nil),
	Methods: []grpc.MethodDesc{
		unary("shop.Goods", "Get", func(srv any, ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
			return srv.(goodsService).Get(ctx, in)
		}),
		unary("shop.Goods", "Search", func(srv any, ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
			return srv.(goodsService).Search(ctx, in)
		}),
	},
}

var orderDesc = grpc.ServiceDesc{
	ServiceName: "shop.Order",
	HandlerType: (*orderService)(nil),
	Methods: []grpc.MethodDesc{
		unary("shop.Order", "Create", func(srv any, ctx context.Context, in *structpb.Struct) (*structpb.Struct, error) {
			return srv.(orderService).Create(ctx, in)
		}),
	},
}

// unary is what protoc-gen-go-grpc writes for each method: decode the
// request, then run the handler through the server's interceptor chain.
func unary(service, method string, call func(srv any, ctx context.Context, in *structpb.Struct) (*structpb.Struct, error)) grpc.MethodDesc {
	full := "/" + service + "/" + method
	return grpc.MethodDesc{
		MethodName: method,
		Handler: func(srv any, ctx context.Context, dec func(any) error, interceptor grpc.UnaryServerInterceptor) (any, error) {
			in := new(structpb.Struct)
			if err := dec(in); err != nil {
				return nil, err
			}
			if interceptor == nil {
				return call(srv, ctx, in)
			}
			info := &grpc.UnaryServerInfo{Server: srv, FullMethod: full}
			return interceptor(ctx, in, info, func(ctx context.Context, req any) (any, error) {
				return call(srv, ctx, req.(*structpb.Struct))
			})
		},
	}
}

// invoke calls a unary method with Struct messages.
func invoke(ctx context.Context, conn *grpc.ClientConn, method string, in map[string]any, opts ...grpc.CallOption) (*structpb.Struct, error) {
	req, err := structpb.NewStruct(in)
	if err != nil {
		return nil, err
	}
	out := new(structpb.Struct)
	if err := conn.Invoke(ctx, method, req, out, opts...); err != nil {
		return nil, err
	}
	return out, nil
}

// field readers for Struct messages.
func num(s *structpb.Struct, k string) float64  { return s.GetFields()[k].GetNumberValue() }
func str(s *structpb.Struct, k string) string   { return s.GetFields()[k].GetStringValue() }
func boolean(s *structpb.Struct, k string) bool { return s.GetFields()[k].GetBoolValue() }
